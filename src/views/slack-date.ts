/** <!date^…> renders in each reader's time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')}>`;
}
