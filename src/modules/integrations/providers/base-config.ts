import { Type, type TProperties } from 'typebox';

/** The fields every integration type's config has, plus its own; unknown fields are rejected. */
export function configSchema<P extends TProperties>(type: string, own: P, options: { defaultUrl?: string } = {}) {
  return Type.Object(
    {
      url: Type.String({
        pattern: '^https?://[^\\s]+$',
        maxLength: 2048,
        description: 'Base URL of the vendor API',
        ...(options.defaultUrl !== undefined ? { default: options.defaultUrl } : {}),
      }),
      verify_tls: Type.Boolean({ default: true, description: 'Verify the vendor\'s TLS certificate' }),
      poll_interval_seconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 60, description: 'How often the background sync polls it' }),
      ...own,
    },
    { additionalProperties: false, $id: `IntegrationConfig_${type}`, title: `${type} config` },
  );
}
