import { describe, expect, it } from '@jest/globals';
import { imageEnv } from '../../support/image-env.ts';

describe('imageEnv', () => {
  it('reads the ENV pairs of the last stage only, continued lines included', () => {
    const dockerfile = [
      'FROM node AS build',
      'ENV BUILD_ONLY=1',
      'FROM distroless',
      'ENV NODE_ENV=production \\',
      '    MALLOC_ARENA_MAX=2',
      'ENV EMPTY=',
      'ENTRYPOINT ["node"]',
    ].join('\n');
    expect(imageEnv(dockerfile)).toEqual({ NODE_ENV: 'production', MALLOC_ARENA_MAX: '2', EMPTY: '' });
  });

  it('refuses the forms it does not read rather than guess', () => {
    expect(() => imageEnv('FROM x\nENV NAME value\n')).toThrow(/ENV NAME value/u);
    expect(() => imageEnv('FROM x\nENV NAME="a b"\n')).toThrow(/unquoted/u);
    expect(() => imageEnv('FROM x\nENV NAME=$OTHER\n')).toThrow(/unquoted/u);
  });

  it("reads what the repository's image sets", () => {
    expect(imageEnv()).toMatchObject({ NODE_ENV: 'production' });
  });
});
