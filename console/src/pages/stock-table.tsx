import type { Stock } from '../api/types.js';
import { SPEC_NAMES } from '../format.js';

/** Per city and spec: numbers, health, live pairs against free capacity (a bar), provider stock. */
export function StockTable({ stock }: { stock: Stock }) {
  const remaining = new Map(
    stock.providerRemaining.map((r) => [`${r.spec}|${r.city}`, r] as const),
  );
  return (
    <div class="table-wrap">
      <table class="stack-on-phone">
        <thead>
          <tr>
            <th scope="col">City</th>
            <th scope="col">Spec</th>
            <th scope="col">Numbers</th>
            <th scope="col">Healthy</th>
            <th scope="col">Live pairs</th>
            <th scope="col">Free pairs</th>
            <th scope="col">Use</th>
            <th scope="col">Provider stock</th>
          </tr>
        </thead>
        <tbody>
          {stock.byCityAndSpec.map((row) => {
            const capacity = row.livePairs + row.freePairs;
            const left = remaining.get(`${row.spec}|${row.city}`);
            return (
              <tr key={`${row.city}|${row.spec}`}>
                <th scope="row" data-label="City">
                  {row.city}
                </th>
                <td data-label="Spec" title={SPEC_NAMES[row.spec]}>
                  {row.spec}
                </td>
                <td data-label="Numbers">{row.numbers}</td>
                <td data-label="Healthy">
                  {row.healthy}
                  {row.healthy < row.numbers ? ` (${row.numbers - row.healthy} abnormal)` : ''}
                </td>
                <td data-label="Live pairs">{row.livePairs}</td>
                <td data-label="Free pairs">{row.freePairs}</td>
                <td data-label="Use">
                  <UseBar used={row.livePairs} capacity={capacity} city={row.city} />
                </td>
                <td data-label="Provider stock">
                  {left?.amount ?? (left?.error ? `unavailable (${left.error})` : '–')}
                </td>
              </tr>
            );
          })}
          {stock.byCityAndSpec.length === 0 && (
            <tr>
              <td colSpan={8}>This pool holds no numbers yet.</td>
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" data-label="">
              Total
            </th>
            <td data-label="" />
            <td data-label="Numbers">{stock.totals.numbers}</td>
            <td data-label="Healthy">{stock.totals.healthy}</td>
            <td data-label="Live pairs">{stock.totals.livePairs}</td>
            <td data-label="Free pairs">{stock.totals.freePairs}</td>
            <td data-label="Use">
              <UseBar
                used={stock.totals.livePairs}
                capacity={stock.totals.livePairs + stock.totals.freePairs}
                city="all cities"
              />
            </td>
            <td data-label="" />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** Live pairs out of what the healthy numbers can carry; the text says it, the bar shows it. */
function UseBar({ used, capacity, city }: { used: number; capacity: number; city: string }) {
  const percent = capacity > 0 ? Math.round((used / capacity) * 100) : 0;
  return (
    <span class="use">
      <meter
        min={0}
        max={Math.max(capacity, 1)}
        value={used}
        low={capacity * 0.6}
        high={capacity * 0.85}
        optimum={0}
        aria-label={`${city}: ${used} of ${capacity} pairs in use`}
      />
      <span class="small">{percent}%</span>
    </span>
  );
}
