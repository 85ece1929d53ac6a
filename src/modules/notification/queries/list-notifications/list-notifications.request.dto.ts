import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';

export const listNotificationsQuery = z.strictObject({
  /** `nextCursor` of the previous page. */
  cursor: integerText().optional(),
  limit: integerText({ min: 1, max: 100 }).default(20),
});
