import { AppError } from '../errors.ts';

/** Why command text did not parse, with what helps the user fix it. */
export class ParseError extends AppError {
  readonly usage?: string;
  readonly suggestion?: string;

  constructor(message: string, help: { usage?: string; suggestion?: string } = {}) {
    super('bad_input', message);
    this.name = 'ParseError';
    if (help.usage !== undefined) this.usage = help.usage;
    if (help.suggestion !== undefined) this.suggestion = help.suggestion;
  }
}
