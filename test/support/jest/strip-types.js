// Jest transformer that runs TypeScript the way `node file.ts` does on Node 24:
// types are erased (replaced by whitespace, so line and column numbers hold and
// no source map is needed). Type checking is `tsc --noEmit`, run before jest.
import { createHash } from 'node:crypto';
import { stripTypeScriptTypes } from 'node:module';

export default {
  process(sourceText, sourcePath) {
    return { code: stripTypeScriptTypes(sourceText, { mode: 'strip', sourceUrl: sourcePath }) };
  },
  getCacheKey(sourceText, sourcePath) {
    return createHash('sha256').update(process.version).update('\0').update(sourcePath).update('\0').update(sourceText).digest('hex');
  },
};
