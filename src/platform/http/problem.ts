import type { Response } from 'express';
import { currentContext } from '../context/request-context';
import type { AppError } from './app-error';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  correlationId?: string;
  [extra: string]: unknown;
}

export function problemFrom(error: AppError): Problem {
  return {
    type: `/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    correlationId: currentContext()?.correlationId,
    ...error.extra,
  };
}

export function sendProblem(res: Response, error: AppError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res
    .status(error.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemFrom(error)));
}
