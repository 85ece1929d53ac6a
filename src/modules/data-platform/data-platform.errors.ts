/**
 * The data platform's refusals, by stable code: none. Its only route is an admin read whose
 * problems are all the platform's (401, 403, 400 VALIDATION_FAILED), and a sink that does not
 * take a record is a delivery outcome (infrastructure/sink-client.ts `SinkError`), never an
 * answer to a caller. A refusal added later is a DomainError factory here, mapped by its route.
 */
export const DataPlatformErrors = {} as const;
