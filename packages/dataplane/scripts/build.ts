// `npm run build`: the compiled dataplane (see buildDataplane in src/dp-runtime.ts).
import { buildDataplane } from '../src/dp-runtime.ts';

console.log(`@meshcap/dataplane: built ${await buildDataplane()}`);
