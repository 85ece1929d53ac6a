/** The bounds the queue API puts on a room's flow (queue module's request schemas). */
const MAX_ACTIVE = { min: 1, max: 1_000_000 };
const ADMIT_PER_SECOND = { min: 1, max: 100_000 };

/** A room's two flow inputs, max active and admissions per second, with their test ids. */
export function FlowFields(props: {
  maxActive: string;
  admitPerSecond: string;
  onMaxActive: (value: string) => void;
  onAdmitPerSecond: (value: string) => void;
  maxActiveTestId: string;
  admitTestId: string;
}) {
  return (
    <>
      <label>
        Max active
        <input
          type="number"
          {...MAX_ACTIVE}
          value={props.maxActive}
          onInput={(e) => props.onMaxActive(e.currentTarget.value)}
          data-testid={props.maxActiveTestId}
        />
      </label>
      <label>
        Admissions per second
        <input
          type="number"
          {...ADMIT_PER_SECOND}
          value={props.admitPerSecond}
          onInput={(e) => props.onAdmitPerSecond(e.currentTarget.value)}
          data-testid={props.admitTestId}
        />
      </label>
    </>
  );
}
