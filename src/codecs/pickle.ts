/**
 * A safe reader and writer for the subset of Python's pickle format that session stores use. The parts live
 * in pickle/ (the reader's format notes in pickle/reader.ts); this file is their public API, so importers
 * need not know how the parts are cut.
 */
export { pyIsoFormat, parsePyIso, timedeltaFromSeconds, timedeltaSeconds } from './pickle/datetime.ts';
export {
  type JsonViewNote,
  jsonToPy,
  pyKeyToJson,
  pyToJson,
  sessionView,
  setJsonProperty,
} from './pickle/json-view.ts';
export { type PickleLimits, pickleLimitsOf } from './pickle/limits.ts';
export { isDecimalLiteral } from './pickle/literals.ts';
export { type PickleInfo, readPickle, readPickleWithInfo } from './pickle/reader.ts';
export { pyFloatRepr, pyRepr } from './pickle/repr.ts';
export { py2Text } from './pickle/text.ts';
export {
  hashKey,
  type PyDate,
  type PyDatetime,
  type PyTime,
  type PyTimedelta,
  type PyTimezone,
  type PyValue,
} from './pickle/values.ts';
export { pyTypes } from './pickle/type-view.ts';
export { writePickle } from './pickle/writer.ts';
