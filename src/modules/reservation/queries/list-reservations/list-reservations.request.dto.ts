import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';

export const listReservationsQuery = z.strictObject({
  limit: integerText({ min: 1, max: 200 }).default(50),
  /** Cursor: only reservations with a smaller id (the `nextBefore` of the previous page). */
  before: integerText().optional(),
});
