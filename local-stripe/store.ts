import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from './errors.js';
import { randomToken } from './random.js';

/** The version every object and event is rendered in. */
export const API_VERSION = '2026-10-28.endive';

export interface StoreOptions {
  /** Seeded ids and a clock that moves only when advanced. */
  deterministic?: boolean;
  seed?: number;
  /** Unix seconds the emulated clock starts at (deterministic mode). */
  startTime?: number;
  /** Base URL the server is reachable at, for receipt and authentication links. */
  baseUrl?: () => string;
  /**
   * How many events are kept, newest first (Stripe keeps 30 days of them). Bounded so a long soak
   * or a dev server running for weeks does not grow its memory and state file without end.
   */
  maxEvents?: number;
  /**
   * The account may send raw card numbers with its secret key (Stripe enables this on request only,
   * support.stripe.com/questions/enabling-access-to-raw-card-data-apis); off by default, as in test mode.
   */
  allowRawCardData?: boolean;
}

/** The API request that caused a change, recorded on its events as Stripe does. */
export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
}

type Listener = (event: Stripe.Event) => void;

/**
 * The state of the local Stripe: one collection per resource (registered by the resource modules),
 * ids, the clock, and the events every change records. It knows no resource's rules.
 */
export class Store {
  /** API objects by id, one map per resource; `expand[]` looks ids up here. */
  private readonly objects = new Map<string, Map<string, unknown>>();
  /** Facts Stripe keeps to itself (e.g. what a test card does), by name. */
  private readonly internals = new Map<string, Map<string, unknown>>();
  /** Insertion sequence per id: lists sort newest first by (created, sequence) as Stripe does. */
  private readonly sequence = new Map<string, number>();
  private listeners: Listener[] = [];
  /** Events being told to listeners, in order. */
  private readonly pending: Stripe.Event[] = [];
  private clockListeners: Array<() => void> = [];
  private counter = 0;
  private offsetSeconds = 0;
  private readonly idSeed: string;

  constructor(private readonly options: StoreOptions = {}) {
    this.idSeed = (options.seed ?? 42).toString(36);
  }

  /** The collection of one resource's objects (created on first use). */
  collection<T>(name: string): Map<string, T> {
    return named(this.objects, name) as Map<string, T>;
  }

  /** Private facts about objects, kept in the snapshot but never served. */
  internal<T>(name: string): Map<string, T> {
    return named(this.internals, name) as Map<string, T>;
  }

  get events(): Map<string, Stripe.Event> {
    return this.collection<Stripe.Event>('events');
  }

  onEvent(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Runs after every clock move: what Stripe does "some time later" happens then. */
  onClockAdvance(listener: () => void): void {
    this.clockListeners.push(listener);
  }

  /** The state as JSON: the local Stripe can outlive its process. */
  snapshot(): string {
    const maps: Record<string, Array<[string, unknown]>> = { sequence: [...this.sequence] };
    for (const [name, map] of [...this.objects, ...this.internals]) maps[name] = [...map];
    return JSON.stringify({ version: 1, counter: this.counter, offsetSeconds: this.offsetSeconds, internal: [...this.internals.keys()], maps });
  }

  restore(json: string): void {
    const data = JSON.parse(json) as {
      version: number;
      counter: number;
      offsetSeconds: number;
      internal?: string[];
      maps: Record<string, Array<[string, unknown]>>;
    };
    if (data.version !== 1) return;
    this.reset();
    this.counter = data.counter;
    this.offsetSeconds = data.offsetSeconds;
    // Files written before `internal` was recorded had one internal map, cardState.
    const internal = new Set(data.internal ?? ['cardState']);
    for (const [name, entries] of Object.entries(data.maps)) {
      const target: Map<string, unknown> = name === 'sequence' ? this.sequence : internal.has(name) ? this.internal(name) : this.collection(name);
      for (const [k, v] of entries) target.set(k, v);
    }
  }

  reset(): void {
    for (const map of this.objects.values()) map.clear();
    for (const map of this.internals.values()) map.clear();
    this.sequence.clear();
    this.counter = 0;
    this.offsetSeconds = 0;
  }

  // ---- clock and ids ----

  now(): number {
    const base = this.options.deterministic ? (this.options.startTime ?? 1_767_225_600) : Math.floor(Date.now() / 1000);
    return base + this.offsetSeconds;
  }

  /** Moves the emulated clock; things that happen "some time later" at Stripe happen now. */
  advanceClock(seconds: number): void {
    this.offsetSeconds += seconds;
    for (const listener of this.clockListeners) listener();
  }

  newId(prefix: string): string {
    this.counter++;
    const tail = this.options.deterministic
      ? createHash('sha256').update(`${this.idSeed}:${prefix}:${this.counter}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 24)
      : randomToken(24);
    const id = `${prefix}_${tail}`;
    this.sequence.set(id, this.counter);
    return id;
  }

  order(id: string): number {
    return this.sequence.get(id) ?? 0;
  }

  baseUrl(): string {
    return this.options.baseUrl?.() ?? 'http://127.0.0.1:12111';
  }

  // ---- events ----

  emit(type: string, object: { id?: string; object?: string }, request: RequestInfo | null, previous?: Record<string, unknown>): Stripe.Event {
    const event = {
      id: this.newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 0,
      request: request ? { id: request.id, idempotency_key: request.idempotencyKey } : { id: null, idempotency_key: null },
      type,
    } as unknown as Stripe.Event;
    const events = this.events;
    events.set(event.id, event);
    // A Map iterates in insertion order: the first key is the oldest event.
    if (events.size > (this.options.maxEvents ?? 10_000)) {
      const oldest = events.keys().next().value!;
      events.delete(oldest);
      this.sequence.delete(oldest);
    }
    // An event a listener causes (a session completing on its payment) is told after the one that caused it.
    this.pending.push(event);
    if (this.pending.length > 1) return event;
    try {
      while (this.pending.length > 0) {
        for (const listener of this.listeners) listener(this.pending[0]!);
        this.pending.shift();
      }
    } finally {
      this.pending.length = 0;
    }
    return event;
  }

  // ---- lookups ----

  get<T>(map: Map<string, T>, kind: string, id: string, param = 'id'): T {
    const found = map.get(id);
    if (!found) throw resourceMissing(kind, id, param);
    return found;
  }

  /** An object named in the request body: an unknown id is a 400 naming the parameter (404 is for the URL's object). */
  referenced<T>(map: Map<string, T>, kind: string, id: string, param: string): T {
    const found = map.get(id);
    if (!found) throw invalidRequest(`No such ${kind}: '${id}'`, { code: 'resource_missing', param });
    return found;
  }

  get allowsRawCardData(): boolean {
    return this.options.allowRawCardData ?? false;
  }

  /** Any API object by id, for `expand[]`. */
  byId(id: string): unknown {
    for (const map of this.objects.values()) {
      const found = map.get(id);
      if (found) return found;
    }
    return undefined;
  }
}

function named(registry: Map<string, Map<string, unknown>>, name: string): Map<string, unknown> {
  let map = registry.get(name);
  if (!map) {
    map = new Map();
    registry.set(name, map);
  }
  return map;
}
