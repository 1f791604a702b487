// JSON Patch (RFC 6902) pieces. client-node 2.x sends patch bodies as
// application/json-patch+json unless told otherwise (the first media type the
// generated patch methods list), so every patch here is a JSON Patch array.

/** One JSON Patch operation. */
export interface JsonPatchOp {
  readonly op: 'add' | 'replace' | 'remove' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

/** Escapes a key for use as one JSON Pointer segment ("/" and "~" are special). */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Operations that set `entries` in the annotations map at `mapPath`
 * (e.g. /metadata/annotations), creating the map when it does not exist yet
 * (JSON Patch cannot add a member to a missing object).
 */
export function setAnnotationsOps(
  mapPath: string,
  existing: Readonly<Record<string, string>> | undefined,
  entries: Readonly<Record<string, string>>,
): JsonPatchOp[] {
  if (existing === undefined) return [{ op: 'add', path: mapPath, value: { ...entries } }];
  return Object.entries(entries).map(([key, value]) => ({
    op: 'add',
    path: `${mapPath}/${pointerSegment(key)}`,
    value,
  }));
}

/** The annotation kubectl reads for the CHANGE-CAUSE column of rollout history. */
export const changeCauseAnnotation = 'kubernetes.io/change-cause';

/** Where a change records the job that made it (ChangeOptions.request). */
export const requestAnnotation = 'coxswain.io/request';

/**
 * Records who asked for a change (change-cause) and, when known, which job made it, on the Deployment's own
 * metadata: a run of the same job again (a retry, or resumed after a lost worker) can tell its own change.
 */
export function changeCauseOps(
  metadataAnnotations: Readonly<Record<string, string>> | undefined,
  change: { readonly changeCause: string; readonly request?: string },
): JsonPatchOp[] {
  const cause = { [changeCauseAnnotation]: change.changeCause };
  return setAnnotationsOps(
    '/metadata/annotations',
    metadataAnnotations,
    change.request === undefined ? cause : { ...cause, [requestAnnotation]: change.request },
  );
}
