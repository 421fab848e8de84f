import { say, withParams, type Language, type Localized } from '../languages.ts';
import type { FieldError, FieldErrorCode } from './errors.ts';

/**
 * What each field error code says, after the field's name, in every language; `{name}` stands for
 * the error's `params`. The web UI says field errors with these, and a problem asked for in another
 * language than English carries them as its `errors[].message`.
 */
const SENTENCES: Record<FieldErrorCode, Localized> = {
  required: say('is required', 'es obligatorio'),
  unknown_field: say('is not a known field', 'no es un campo conocido'),
  type: say('must be of type {type}', 'debe ser de tipo {type}'),
  one_of: say('must be one of: {allowed}', 'debe ser uno de: {allowed}'),
  min_length: say('must be at least {limit} characters long', 'debe tener al menos {limit} caracteres'),
  max_length: say('must be at most {limit} characters long', 'debe tener como máximo {limit} caracteres'),
  minimum: say('must be {limit} or more', 'debe ser {limit} o más'),
  maximum: say('must be {limit} or less', 'debe ser {limit} o menos'),
  greater_than: say('must be more than {limit}', 'debe ser mayor que {limit}'),
  less_than: say('must be less than {limit}', 'debe ser menor que {limit}'),
  pattern: say('is not in the expected form', 'no tiene la forma esperada'),
  format: say('is not a valid {format}', 'no es un valor {format} válido'),
  min_items: say('must have at least {limit} items', 'debe tener al menos {limit} elementos'),
  max_items: say('must have at most {limit} items', 'debe tener como máximo {limit} elementos'),
  unique_items: say('must not repeat an item', 'no debe repetir elementos'),
  min_properties: say('must have at least {limit} entries', 'debe tener al menos {limit} entradas'),
  max_properties: say('must have at most {limit} entries', 'debe tener como máximo {limit} entradas'),
  multiple_of: say('must be a multiple of {limit}', 'debe ser múltiplo de {limit}'),
  unstorable_text: say('must not contain NUL or unpaired surrogate characters', 'no debe contener caracteres NUL ni sustitutos sueltos'),
  invalid: say('is not valid', 'no es válido'),
  password_length: say('must be {min} to {max} characters long', 'debe tener entre {min} y {max} caracteres'),
  password_upper: say('must contain an upper-case letter', 'debe contener una letra mayúscula'),
  password_lower: say('must contain a lower-case letter', 'debe contener una letra minúscula'),
  password_digit: say('must contain a digit', 'debe contener un dígito'),
  password_common: say('is too common', 'es demasiado común'),
  password_username: say('must not contain the username', 'no debe contener el nombre de usuario'),
  password_unchanged: say('must differ from the current password', 'debe ser distinta de la contraseña actual'),
  password_wrong: say('is wrong', 'no es correcta'),
  not_permitted: say('{value} is not a permission of yours', '{value} no es uno de sus permisos'),
  unknown_reference: say('names what does not exist: {value}', 'nombra lo que no existe: {value}'),
  taken: say('is already in use', 'ya está en uso'),
  before: say('must be before {other}', 'debe ser anterior a {other}'),
  after: say('must be after {other}', 'debe ser posterior a {other}'),
  not_after: say('must not be after {other}', 'no debe ser posterior a {other}'),
  not_before: say('must not be before {other}', 'no debe ser anterior a {other}'),
  future: say('must be in the future', 'debe estar en el futuro'),
  too_far_ahead: say('is more than {minutes} minutes in the future', 'está más de {minutes} minutos en el futuro'),
  span_days: say('may span at most {limit} days', 'puede abarcar como máximo {limit} días'),
  time_zone: say('must be an IANA time zone such as Europe/Madrid', 'debe ser una zona horaria IANA, como Europe/Madrid'),
  time_of_day: say('must be a time of day HH:MM (00:00-23:59)', 'debe ser una hora del día HH:MM (00:00-23:59)'),
  timestamp: say('must be an ISO 8601 time with its offset, or epoch milliseconds', 'debe ser una fecha y hora ISO 8601 con su desfase horario, o milisegundos desde 1970'),
  time_expression: say('must be an ISO time, epoch milliseconds, or now-<n><s|m|h|d|w>', 'debe ser una fecha ISO, milisegundos desde 1970 o now-<n><s|m|h|d|w>'),
  cursor: say('is not a cursor this API issued', 'no es un cursor emitido por esta API'),
  exclusive: say('cannot be given together with {other}', 'no puede indicarse junto con {other}'),
  exactly_one: say('exactly one of {fields} is required', 'se requiere exactamente uno de: {fields}'),
  read_only_store: say('cannot be stored: the secret store is read-only', 'no se puede guardar: el almacén de secretos es de solo lectura'),
  not_removable: say('cannot be removed', 'no se puede quitar'),
  address_not_allowed: say('must not be a link-local, multicast or unspecified address', 'no debe ser una dirección de enlace local, de multidifusión ni sin especificar'),
  range: say('must be from {min} to {max}', 'debe estar entre {min} y {max}'),
  length_range: say('must be {min} to {max} characters long', 'debe tener entre {min} y {max} caracteres'),
  items_range: say('must have {min} to {max} items', 'debe tener entre {min} y {max} elementos'),
  blank: say('must not be blank', 'no puede estar vacío'),
  overlaps: say('overlaps {other}', 'se solapa con {other}'),
  too_many_series: say('starts a new series past the tenant\'s series limit', 'crea una serie nueva por encima del límite de series del cliente'),
  too_many_buckets: say('gives more than {limit} intervals; choose a coarser one', 'da más de {limit} intervalos; elija uno más amplio'),
  deprecated: say('is deprecated: send only {replacement}', 'está obsoleto: envíe solo {replacement}'),
  grid_overflow: say('x + w must be at most {limit} (the grid\'s columns)', 'x + w debe ser como máximo {limit} (las columnas de la cuadrícula)'),
  requires: say('needs {other}', 'necesita {other}'),
  also_in: say('is also in {other}: {value}', 'también está en {other}: {value}'),
  slug_taken: say('gives the slug {value}, which is already in use', 'da el identificador {value}, que ya está en uso'),
};

/** A field error in a language: by its code where it has one, else its (English) message. */
export function fieldErrorSentence(error: FieldError, language: Language): string {
  return error.code === undefined ? error.message : withParams(SENTENCES[error.code][language], error.params);
}

/** Field errors as a client reads them in a language: English keeps each error's own message (often more precise than its code's sentence). */
export const fieldErrorsIn = (errors: FieldError[], language: Language): FieldError[] =>
  (language === 'en' ? errors : errors.map((error) => ({ ...error, message: fieldErrorSentence(error, language) })));
