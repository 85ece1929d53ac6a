import { z } from 'zod';
import { LOCALES, ROLE_NAMES } from './domain/user';

export const emailSchema = z.string().trim().max(254).pipe(z.email('must be a valid e-mail address'));
export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(72, 'must be at most 72 characters');

export const publicUserSchema = z.object({ id: z.number().int(), email: z.string(), name: z.string(), role: z.enum(ROLE_NAMES), locale: z.enum(LOCALES) });
