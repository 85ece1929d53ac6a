import { ApiError } from './api';

/** What the API said when it refused (403 for a non-admin, 503 for a service that is down, ...). */
export function Problem({ error }: { error: Error | null }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.status} ${error.code}: ${error.detail}` : error.message;
  return (
    <p class="problem" role="alert" data-testid="problem">
      {text}
    </p>
  );
}
