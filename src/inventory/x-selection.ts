/**
 * Ranking of middle-number candidates, kept pure so it can be tested on its own. The SQL in
 * NumberCandidatesRepository has already dropped numbers that are released, abnormal, or carry a
 * live binding sharing A or B; what is left is ordered here.
 */
export interface XCandidate {
  number: string;
  city: string;
  /** Live pairs on the number now. */
  load: number;
}

export interface XPreference {
  city?: string;
  /** Only numbers of `city` qualify. */
  strict: boolean;
  maxPairs: number;
}

/** Same city first (any city unless strict), fewer than maxPairs, least loaded first. */
export function rankCandidates(candidates: readonly XCandidate[], pref: XPreference): XCandidate[] {
  const local = (c: XCandidate) => (pref.city !== undefined && c.city === pref.city ? 0 : 1);
  return candidates
    .filter((c) => c.load < pref.maxPairs)
    .filter((c) => !pref.strict || pref.city === undefined || c.city === pref.city)
    .sort((a, b) => local(a) - local(b) || a.load - b.load || a.number.localeCompare(b.number));
}
