import fc from 'fast-check';
import { DEFAULT_REFRESH_SETTINGS, type RefreshSettings } from '../../../shared/domain/integration';

/** Refresh settings with the given fields changed; the rest are the service defaults. */
export function settingsWith(overrides: Partial<RefreshSettings> = {}): RefreshSettings {
  return { ...DEFAULT_REFRESH_SETTINGS, ...overrides };
}

/** A `random()` that always answers `value`. */
export const fixedRandom = (value: number) => (): number => value;

/** A small seeded PRNG (mulberry32), so spread tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Any settings the API accepts (refreshSettingsSchema ranges). */
export const settingsArbitrary: fc.Arbitrary<RefreshSettings> = fc.record({
  marginSeconds: fc.integer({ min: 0, max: 86_400 }),
  keepaliveSeconds: fc.integer({ min: 60, max: 31_536_000 }),
  mode: fc.constantFrom('proactive' as const, 'on_demand' as const),
  jitterSeconds: fc.integer({ min: 0, max: 3_600 }),
  retryBaseSeconds: fc.integer({ min: 1, max: 3_600 }),
  retryMaxSeconds: fc.integer({ min: 1, max: 86_400 }),
  retryHorizonSeconds: fc.integer({ min: 60, max: 2_592_000 }),
  defaultLifetimeSeconds: fc.constant(3_600),
});

/** A value of `random()`: [0, 1). */
export const unitArbitrary = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** Epoch ms between 2001 and 2033. */
export const nowArbitrary = fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 });
