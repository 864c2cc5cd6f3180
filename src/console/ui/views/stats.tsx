import type { ConsoleStatsQuery } from '../gql/graphql.ts';

type Group = ConsoleStatsQuery['sessionStats'][number];

const STATUSES = ['ACTIVE', 'EXPIRED', 'INVALID'] as const;

/** `sessionStats` as a table with a bar per store (the bars repeat the numbers; screen readers get the table). */
export function StatsChart(props: { groups: readonly Group[] }) {
  const stores = [...new Set(props.groups.map((group) => group.store))];
  const count = (store: string, status: string) =>
    props.groups.find((group) => group.store === store && group.status === status)?.count ?? 0;
  const totals = stores.map((store) => STATUSES.reduce((sum, status) => sum + count(store, status), 0));
  const max = Math.max(1, ...totals);
  return (
    <table class="stats">
      <caption>Sessions by store and status</caption>
      <thead>
        <tr>
          <th scope="col">Store</th>
          {STATUSES.map((status) => (
            <th scope="col" key={status}>
              {status.toLowerCase()}
            </th>
          ))}
          <th scope="col">All</th>
          <th scope="col">
            <span class="visually-hidden">Chart</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {stores.map((store, index) => (
          <tr key={store}>
            <th scope="row">{store}</th>
            {STATUSES.map((status) => (
              <td key={status} class="number">
                {count(store, status).toLocaleString('en')}
              </td>
            ))}
            <td class="number">{totals[index]!.toLocaleString('en')}</td>
            <td class="chart" aria-hidden="true">
              <div class="bar" style={{ width: `${(100 * totals[index]!) / max}%` }}>
                {STATUSES.map((status) => {
                  const share = totals[index] ? (100 * count(store, status)) / totals[index]! : 0;
                  return share > 0 ? (
                    <span
                      key={status}
                      class={`segment ${status.toLowerCase()}`}
                      style={{ width: `${share}%` }}
                    />
                  ) : null;
                })}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
