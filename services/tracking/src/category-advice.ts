import { type Categorizer, shippedCategorizer } from '@petition/categorize';
import { categoryToJSON } from '@petition/contract';

// The workbench's category advice (issue 24): the category the classifier (packages/categorize) would give a
// case's title and content, shown in a unit's inbox only where it differs from the registered one and the
// classifier is sure enough — a hint to re-check the pick, never a change. Its confidence is calibrated (the
// mean confidence of its top answer is about the share it gets right), so the floor reads as "right at
// least this often".

/** The least confidence at which a differing category is worth showing. */
export const adviceConfidenceFloor = 0.6;

export interface CategoryAdvice {
  /** The suggested category, as the inbox names categories (CATEGORY_…). */
  readonly category: string;
  readonly confidence: number;
}

/** The advice for a registered category given the classifier's pick; null when it agrees or is unsure. */
export function categoryAdviceFor(pick: CategoryAdvice, registered: string): CategoryAdvice | null {
  return pick.category !== registered && pick.confidence >= adviceConfidenceFloor ? pick : null;
}

/**
 * The classifier's pick per case, kept once computed (a case's title and content do not change after
 * registration), for at most `remembered` cases: the oldest is forgotten first.
 */
export function createCategoryAdvisor(categorizer: () => Categorizer = shippedCategorizer, remembered = 20_000) {
  const picks = new Map<string, CategoryAdvice>();
  return (caseId: string, matter: { title: string; content: string }, registered: string): CategoryAdvice | null => {
    let pick = picks.get(caseId);
    if (!pick) {
      const suggestion = categorizer().suggest(matter.title, matter.content);
      pick = {
        category: categoryToJSON(suggestion.category),
        confidence: Math.round(suggestion.confidence * 1000) / 1000,
      };
      if (picks.size >= remembered) picks.delete(picks.keys().next().value as string);
      picks.set(caseId, pick);
    }
    return categoryAdviceFor(pick, registered);
  };
}
