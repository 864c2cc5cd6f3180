import { DEFAULT_BUDGETS } from './src/codecs/budgets.ts';
import { readPhpSerialized } from './src/codecs/php/serialize-reader.ts';
import { writePhpSerialized } from './src/codecs/php/serialize-writer.ts';
import { jsonToPhp } from './src/codecs/php/serialize-writer.ts';
import { phpToJson } from './src/codecs/php/json-view.ts';
const json: any = {};
for (let i = 0; i < 20000; i++) json['key' + i] = { id: i, name: 'user ' + i, tags: ['a', 'b', 'c'], score: i / 7, ok: true, nested: { x: null } };
const bytes = writePhpSerialized(jsonToPhp(json));
console.log('bytes', bytes.length);
for (let r = 0; r < 5; r++) {
  let t = performance.now();
  const v = readPhpSerialized(bytes, DEFAULT_BUDGETS);
  const tr = performance.now() - t; t = performance.now();
  const j = phpToJson((v as any).value); const tv = performance.now() - t; t = performance.now();
  const w = writePhpSerialized((v as any).value); const tw = performance.now() - t;
  console.log(`read ${tr.toFixed(1)}ms view ${tv.toFixed(1)}ms write ${tw.toFixed(1)}ms`, v.ok, w.length === bytes.length);
}
