import type { HttpResult } from '../../../../platform/http/route';

export interface ChargeResult {
  balance: number;
  transactionId: number;
}

/** How a credited charge is answered: by the request, or stored for its key by whoever settles the attempt later. */
export const chargedResponse = (result: ChargeResult): HttpResult => ({ status: 200, body: result });
