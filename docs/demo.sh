#!/usr/bin/env bash
# A new user's purchase on the demo concert, step by step with curl:
# sign up → log in → queue → pass → seats → hold → charge → pay → confirmed → notified → e-ticket.
# Usage: npm start (in another terminal), then: bash docs/demo.sh [base-url]
# With ADMIN_EMAIL and ADMIN_PASSWORD set (the server's admin), the ticket is also scanned at the door, twice.
set -euo pipefail
BASE=${1:-http://localhost:3000}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const r=(process.argv[1]).split(".").reduce((o,k)=>o?.[k],v);console.log(typeof r==="object"?JSON.stringify(r):r)})' "$1"; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

EMAIL="demo-$(date +%s)@example.com"
say "1. sign up $EMAIL"
curl -sf -X POST "$BASE/auth/signup" -H 'content-type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"demo-password\",\"name\":\"Demo\"}"; echo

say "2. log in"
TOKEN=$(curl -sf -X POST "$BASE/auth/login" -H 'content-type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"demo-password\"}" | json accessToken)
AUTH="Authorization: Bearer $TOKEN"
echo "token: ${TOKEN:0:24}…"

say "3. join the waiting room"
JOIN=$(curl -sf -X POST "$BASE/queue/token" -H "$AUTH"); echo "$JOIN"
QTOKEN=$(echo "$JOIN" | json token)

say "4. poll until admitted (respecting pollAfterSeconds)"
STATUS=$JOIN
while [ "$(echo "$STATUS" | json status)" != "ACTIVE" ]; do
  sleep "$(echo "$STATUS" | json pollAfterSeconds)"
  STATUS=$(curl -sf "$BASE/queue/status" -H "$AUTH" -H "X-Queue-Token: $QTOKEN"); echo "$STATUS"
done
PASS=$(echo "$STATUS" | json pass.token)
echo "admitted; pass: ${PASS:0:24}…"

say "5. browse: concerts, schedules, seats"
CONCERT=$(curl -sf "$BASE/ticketing/search/concerts" | json items.0.id)
SCHEDULE=$(curl -sf "$BASE/ticketing/search/concerts/$CONCERT/schedules" -H "$AUTH" -H "X-Queue-Pass: $PASS" | json items.0.id)
SEATS=$(curl -sf "$BASE/ticketing/search/schedules/$SCHEDULE/seats" -H "$AUTH" -H "X-Queue-Pass: $PASS")
SEAT=$(echo "$SEATS" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items.find(x=>x.status==="AVAILABLE").id))')
echo "concert $CONCERT, schedule $SCHEDULE, first available seat $SEAT"

say "6. hold the seat"
HEADERS=$(mktemp); trap 'rm -f "$HEADERS"' EXIT
HOLD=$(curl -sf -D "$HEADERS" -X POST "$BASE/ticketing/reservations/new" -H "$AUTH" -H "X-Queue-Pass: $PASS" -H 'content-type: application/json' -d "{\"scheduleId\":$SCHEDULE,\"seatId\":$SEAT}"); echo "$HOLD"
RID=$(echo "$HOLD" | json id); PRICE=$(echo "$HOLD" | json price)
ETAG=$(grep -i '^etag:' "$HEADERS" | cut -d' ' -f2- | tr -d '\r')   # tags the HELD state

say "7. charge $PRICE points"
curl -sf -X POST "$BASE/payments/charge" -H "$AUTH" -H "Idempotency-Key: charge-$RID" -H 'content-type: application/json' -d "{\"amount\":$PRICE}"; echo

say "8. pay for the hold"
curl -sf -X POST "$BASE/payments/process" -H "$AUTH" -H "X-Queue-Pass: $PASS" -H "Idempotency-Key: pay-$RID" -H 'content-type: application/json' -d "{\"reservationId\":$RID}"; echo

say "9. the reservation is confirmed through events (one GET that waits for the change)"
R=$(curl -sf "$BASE/ticketing/reservations/$RID" -H "$AUTH" -H "If-None-Match: $ETAG" -H 'Prefer: wait=10')
echo "$R"
say "10. its event history"
curl -sf "$BASE/ticketing/reservations/$RID/history" -H "$AUTH"; echo

say "11. the buyer is told: their notifications, newest first (the confirmation names the seat and carries the e-ticket)"
NOTES=$(curl -sf "$BASE/notifications" -H "$AUTH")
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ "$(echo "$NOTES" | json items.0.type)" = "CONFIRMED" ] && break
  sleep 0.5; NOTES=$(curl -sf "$BASE/notifications" -H "$AUTH")
done
echo "$NOTES" | json items.0.title
CODE=$(echo "$R" | json ticket.code)
echo "e-ticket: ${CODE:0:32}…"

if [ -n "${ADMIN_EMAIL:-}" ] && [ -n "${ADMIN_PASSWORD:-}" ]; then
  say "12. at the door: the first scan admits, the second is refused (409 TICKET_ALREADY_USED)"
  STAFF=$(curl -sf -X POST "$BASE/auth/login" -H 'content-type: application/json' -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | json accessToken)
  for _ in 1 2; do
    curl -s -X POST "$BASE/tickets/scan" -H "Authorization: Bearer $STAFF" -H 'content-type: application/json' -d "{\"code\":\"$CODE\"}"; echo
  done
fi
