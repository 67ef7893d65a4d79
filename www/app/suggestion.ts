/**
 * What a label records about the model's suggestion: the suggested class, the version that
 * made it, and whether the person accepted it — only when a suggestion was on screen, and
 * always under the version that made it (never one model's suggestion under another's name).
 */
import type { ClassScore, LabelValue } from 'kindling';

/** The label of class `cls` given the suggestion on screen (`topK` of `predVersion`). */
export function labelValue(cls: string, topK: ClassScore[] | undefined, predVersion: string | null): LabelValue {
  const value: LabelValue = { class: cls };
  const suggestion = topK?.[0]?.label;
  if (suggestion !== undefined && predVersion) {
    value.suggestion = suggestion;
    value.model_version = predVersion;
    value.accepted = suggestion === cls;
  }
  return value;
}
