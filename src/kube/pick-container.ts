// kubectl's rule for which container a command means: the only one, or the
// one named; anything else is the user's to fix, so say which names exist.
import { AppError } from '../errors.ts';

/**
 * The container to act on. `owner` names the pod or deployment in the message,
 * e.g. 'deployment "web"'.
 */
export function pickContainer(names: readonly string[], requested: string | undefined, owner: string): string {
  if (requested !== undefined && names.includes(requested)) return requested;
  const list = names.join(', ');
  if (requested !== undefined)
    throw new AppError('bad_input', `${owner} has no container "${requested}"; its containers are: ${list}`);
  const [only] = names;
  if (names.length === 1 && only !== undefined) return only;
  if (names.length === 0) throw new AppError('bad_input', `${owner} has no containers`);
  throw new AppError('bad_input', `${owner} has ${names.length} containers; choose one with -c: ${list}`);
}
