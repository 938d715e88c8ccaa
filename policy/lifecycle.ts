import type { Person } from '../domain/person';
import { parseDuration } from '../lib/duration';
import type { LifecyclePolicy } from './config';
import { readLifecycleDate } from './dates';

/** A person's dates as the policy reads them at one instant. All times are epoch milliseconds. */
export interface Timeline {
  startAt?: number;
  endAt?: number;
  startText?: string;
  endText?: string;
  /** The start date is in the future. */
  startsLater: boolean;
  /** From when a future starter's accounts may exist (inactive); -Infinity: already, no window. */
  preCreateFrom?: number;
  /** Set when the person is out of scope in every target, with the reason. */
  everywhereOut?: string;
  /** everywhereOut only because the directory account is disabled (targets with provisionDisabledUsers keep an inactive account). */
  disabledOnly?: boolean;
  /** Unreadable dates, by the Person field they came from. */
  dateProblems: { field: string; text: string; label: 'start date' | 'leave date' }[];
}

export function readTimeline(person: Person, lifecycle: LifecyclePolicy, nowMs: number): Timeline {
  const start = readLifecycleDate(person, lifecycle.startDate, 'start');
  const end = readLifecycleDate(person, lifecycle.endDate, 'end');
  const dateProblems: Timeline['dateProblems'] = [];
  if (!start.ok) dateProblems.push({ field: lifecycle.startDate, text: start.text, label: 'start date' });
  if (!end.ok) dateProblems.push({ field: lifecycle.endDate, text: end.text, label: 'leave date' });
  const startAt = start.ok ? start.at : undefined;
  // A leave date on or before the start date belongs to an earlier employment (rehire): ignore it.
  const endAt = end.ok && end.at !== undefined && !(startAt !== undefined && startAt >= end.at) ? end.at : undefined;
  const startsLater = startAt !== undefined && startAt > nowMs;
  const preCreateFrom =
    startAt === undefined ? undefined
    : !lifecycle.preCreateInactive ? startAt
    : lifecycle.preCreateWindow === undefined ? -Infinity
    : startAt - parseDuration(lifecycle.preCreateWindow);

  // Directories commonly keep a future joiner's entry disabled until the start date: that is a
  // future starter (accounts stay inactive), not a leaver. At the start date the flag counts again.
  let everywhereOut: string | undefined;
  const leftAlready = endAt !== undefined && endAt <= nowMs;
  if (!person.enabled && !startsLater) everywhereOut = 'out of scope: the account is disabled in the directory';
  else if (leftAlready) everywhereOut = `out of scope: leave date ${end.text} has passed`;
  const disabledOnly = !person.enabled && !startsLater && !leftAlready;

  return {
    ...(startAt !== undefined ? { startAt, startText: start.text } : {}),
    ...(endAt !== undefined ? { endAt, endText: end.text } : {}),
    startsLater,
    ...(preCreateFrom !== undefined ? { preCreateFrom } : {}),
    ...(everywhereOut ? { everywhereOut } : {}),
    ...(disabledOnly ? { disabledOnly } : {}),
    dateProblems,
  };
}

export const isoOf = (ms: number) => new Date(ms).toISOString();

/** activateAt / leaveAt / reevaluateAt of DesiredState: the future instants at which the outcome changes. */
export function upcomingDates(timeline: Timeline, nowMs: number): { activateAt?: string; leaveAt?: string; reevaluateAt?: string } {
  if (timeline.everywhereOut) return {};
  const future = (at: number | undefined): at is number => at !== undefined && Number.isFinite(at) && at > nowMs;
  const upcoming = [timeline.preCreateFrom, timeline.startAt, timeline.endAt].filter(future);
  return {
    ...(future(timeline.startAt) ? { activateAt: isoOf(timeline.startAt) } : {}),
    ...(future(timeline.endAt) ? { leaveAt: isoOf(timeline.endAt) } : {}),
    ...(upcoming.length > 0 ? { reevaluateAt: isoOf(Math.min(...upcoming)) } : {}),
  };
}
