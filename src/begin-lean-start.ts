// main.ts imports this module before any other, so that V8 starts lean while the others load:
// see common/lean-start.ts.
import { beginLeanStart } from './common/lean-start';

beginLeanStart();
