import { z } from 'zod';

export const MAX_PAGE_SIZE = 100;

const positiveInt = (max: number) => z.coerce.number('must be an integer').int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

/** `?page=1&pageSize=20`: 1-based page number, page size 1…100. */
export const listConcertsQuery = z.object({
  page: positiveInt(1_000_000).default(1),
  pageSize: positiveInt(MAX_PAGE_SIZE).default(20),
});

export type ListConcertsQueryInput = z.infer<typeof listConcertsQuery>;
