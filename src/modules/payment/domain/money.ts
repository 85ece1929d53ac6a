/** Money rules every path shares. Integer won. */
export const LIMITS = {
  minCharge: 1,
  maxCharge: 1_000_000,
  /** Charges may not take a balance above this; a refund restores points already owned and may. */
  maxBalance: 100_000_000,
} as const;

/**
 * Whether charging `amount` would take the balance above the limit. `balance` counts the charges
 * still PENDING at the gateway: they may yet be credited, so they are counted when recorded.
 */
export function exceedsBalanceLimit(balance: number, amount: number): boolean {
  return balance + amount > LIMITS.maxBalance;
}
