/** The languages Sentinel speaks: every user-facing sentence exists in each. */
export const LANGUAGES = ['es', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const isLanguage = (value: unknown): value is Language => typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);

/**
 * One sentence in every language. Services say what went wrong with `say(english, spanish)` where
 * they decide it, so the compiler lists every sentence a new language would need.
 */
export type Localized = Readonly<Record<Language, string>>;

export const say = (en: string, es: string): Localized => ({ en, es });

/** A sentence with its `{name}` placeholders filled from `params` (one without a value stays as it is). */
export const withParams = (text: string, params: Readonly<Record<string, string | number>> | undefined): string =>
  params === undefined ? text : text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

/**
 * The language a client prefers among ours (`Accept-Language`, RFC 9110: by weight, then order;
 * `es-MX` counts as `es`); English when it names none of them or sends no header.
 */
export function preferredLanguage(acceptLanguage: string | undefined): Language {
  if (acceptLanguage === undefined || acceptLanguage === '') return 'en';
  let best: Language = 'en';
  let bestWeight = 0;
  // A header is short; a hostile one is cut rather than parsed at length.
  for (const range of acceptLanguage.slice(0, 500).split(',')) {
    const [tag = '', ...parameters] = range.split(';');
    const language = tag.trim().split('-')[0]?.toLowerCase();
    if (!isLanguage(language)) continue;
    const weightParameter = parameters.map((parameter) => parameter.trim().toLowerCase()).find((parameter) => parameter.startsWith('q'));
    // A weight is q=0 to q=1; one that is not (or a range cut short) does not count.
    const weight = weightParameter === undefined ? 1 : /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(weightParameter) ? Number(weightParameter.slice(2)) : 0;
    if (weight > bestWeight) {
      best = language;
      bestWeight = weight;
    }
  }
  return best;
}
