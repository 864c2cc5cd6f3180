/** What went wrong (announced at once) and what an action did (announced politely); each only when set. */
export function Notices(props: { problem?: string | null; outcome?: string | null }) {
  return (
    <>
      {props.problem && (
        <p class="error" role="alert">
          {props.problem}
        </p>
      )}
      {props.outcome && (
        <p class="outcome" role="status">
          {props.outcome}
        </p>
      )}
    </>
  );
}
