import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';
import { GRANTABLE_ROLES } from '../../domain/user';

export const grantRoleParams = z.strictObject({ id: integerText() });

export const grantRoleRequest = z.strictObject({
  /** `STAFF` lets the account scan e-tickets at the door; `USER` takes that away again. */
  role: z.enum(GRANTABLE_ROLES),
});

export type GrantRoleRequest = z.infer<typeof grantRoleRequest>;
