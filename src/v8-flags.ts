import { setFlagsFromString } from 'node:v8';

// V8 allocates in the old generation straight away from any allocation site whose objects mostly outlived
// a scavenge once. pg's row objects and DataRow arrays share one site each for every statement, and one
// burst of slow statements (a cold start, a long page) is enough to get them tenured for good; from then
// on each row, dead as soon as its response is written, holds its young column text through every
// scavenge until the next mark-compact, and the server spends its time promoting and marking page text
// (README, Performance: "Where W1's garbage came from"). Set before anything allocates on a hot path; the
// flag is read at each collection, so it holds for sites made earlier too.
setFlagsFromString('--no-allocation-site-pretenuring');
