import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';

export const markReadParams = z.strictObject({ id: integerText() });
