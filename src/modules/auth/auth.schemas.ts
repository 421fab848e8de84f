import { Type } from 'typebox';
import { Id, NullableId, NullableString, Timestamp } from '../../platform/http/schemas.ts';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 254, description: 'Username or e-mail' }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const TokenPairSchema = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Access token lifetime in seconds' }),
});

export const LoginAnswerSchema = Type.Object({
  ...TokenPairSchema.properties,
  password_change_required: Type.Boolean({ description: 'The password was generated and shown once: every other call answers 403 (code password_change_required) until it is changed with POST /auth/change-password' }),
  ended_sessions: Type.Array(
    Type.Object({
      id: Id,
      reason: Type.Literal('session_limit'),
      ip: NullableString(),
      user_agent: NullableString(),
      created_at: Timestamp,
      last_seen_at: Timestamp,
    }),
    { description: 'Older sessions this sign-in ended to stay within SENTINEL_MAX_SESSIONS; their tokens now answer 401 with code session_evicted' },
  ),
  notice: Type.Optional(Type.String({ description: 'What the user should be told about this sign-in (sessions ended, password to change)' })),
});

export const ChangePasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 128 }),
    new_password: Type.String({ minLength: 8, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export const Me = Type.Object({
  id: Id,
  username: Type.String(),
  email: NullableString(),
  tenant_id: NullableId,
  role: Type.String(),
  permissions: Type.Array(Type.String(), { description: 'Extra permissions beyond the role (as on the user)' }),
  effective_permissions: Type.Array(Type.String(), { description: 'Everything the user may do: the role\'s permissions and the extra ones' }),
  session_id: Id,
  password_change_required: Type.Boolean({ description: 'Only changing the password is allowed until it is changed' }),
});

export const Session = Type.Object({
  id: Id,
  ip: NullableString(),
  user_agent: NullableString(),
  created_at: Timestamp,
  last_seen_at: Timestamp,
  expires_at: Timestamp,
  current: Type.Boolean(),
});

export const SessionList = Type.Object({ items: Type.Array(Session) });
