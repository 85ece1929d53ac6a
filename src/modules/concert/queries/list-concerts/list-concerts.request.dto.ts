import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';

export const MAX_PAGE_SIZE = 100;

/** `?page=1&pageSize=20`: 1-based page number, page size 1…100. */
export const listConcertsQuery = z.object({
  page: integerText({ min: 1, max: 1_000_000 }).default(1),
  pageSize: integerText({ min: 1, max: MAX_PAGE_SIZE }).default(20),
});

export type ListConcertsQueryInput = z.infer<typeof listConcertsQuery>;
