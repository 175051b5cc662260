import test from 'ava';
import { classificationReport } from '../src/evaluation/classification-report.js';
import { CURVE_THRESHOLDS, thresholdCurve } from '../src/evaluation/threshold-curve.js';
import { SeededRandom } from '../src/util/seeded-random.js';

test('every point of the curve equals the full report at that shared threshold', (t) => {
  const random = new SeededRandom(9);
  const labels = ['common', 'rare', 'never'];
  const samples = 200;
  const probabilities = Float32Array.from({ length: samples * 3 }, () => random.next());
  const targets = Uint8Array.from({ length: samples * 3 }, (_, i) =>
    i % 3 === 2 ? 0 : random.chance(i % 3 === 0 ? 0.5 : 0.05) ? 1 : 0,
  );

  const curve = thresholdCurve(probabilities, targets, labels);

  t.deepEqual(
    curve.map((point) => point.threshold),
    [...CURVE_THRESHOLDS],
  );
  for (const point of curve) {
    const shared = new Float32Array(3).fill(point.threshold);
    const report = classificationReport(probabilities, targets, labels, shared);
    t.true(Math.abs(point.f1Micro - report.f1Micro) < 1e-9, `micro at ${point.threshold}`);
    t.true(Math.abs(point.f1Macro - report.f1Macro) < 1e-9, `macro at ${point.threshold}`);
  }
});
