/** One figure with its label; `testId` marks the figure for the browser tests. */
export function Tile({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div class="tile">
      <div class="tile-label">{label}</div>
      <div class="tile-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
