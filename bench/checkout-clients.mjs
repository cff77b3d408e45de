// Checkout load generator for bench/checkout_http.py: one process, `concurrency` buyers in
// flight, each cartCreate -> checkoutBegin -> checkoutComplete over HTTP (keep-alive fetch),
// presenting the cart's accessToken as X-Cart-Token like a storefront.
// argv[2]: JSON {url, concurrency, buyers: [{channel, variant}]}. Prints one JSON line.
const spec = JSON.parse(process.argv[2]);
const url = `${spec.url}/graphql`;

const CART_CREATE = `mutation BenchCart($input: CartInput!) {
  cartCreate(input: $input) { cart { id accessToken } userErrors { code } } }`;
const BEGIN = `mutation BenchBegin($cartId: ID!) {
  checkoutBegin(cartId: $cartId) { reservedUntil userErrors { code } } }`;
const COMPLETE = `mutation BenchComplete($cartId: ID!, $f: CheckoutFulfillmentInput!,
    $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id } userErrors { code } } }`;
const SHIP = { method: "SHIP", address: { line1: "Damrak 1", city: "Amsterdam" } };

async function post(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers["x-cart-token"] = token;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const result = { begin: [], complete: [], buyer: [], placed: 0, codes: {}, failures: 0 };

async function buy(buyer, n) {
  const start = performance.now();
  const created = await post(CART_CREATE, {
    input: { channel: buyer.channel, lines: [{ merchandiseId: buyer.variant, quantity: 1 }] },
  });
  const cart = created.cartCreate.cart;
  const t1 = performance.now();
  const began = await post(BEGIN, { cartId: cart.id }, cart.accessToken);
  const t2 = performance.now();
  const done = await post(
    COMPLETE,
    { cartId: cart.id, f: SHIP, p: { token: "tok_visa" }, key: `bench-${process.pid}-${n}` },
    cart.accessToken,
  );
  const t3 = performance.now();
  result.begin.push(t2 - t1);
  result.complete.push(t3 - t2);
  result.buyer.push(t3 - start);
  const errors = [...began.checkoutBegin.userErrors, ...done.checkoutComplete.userErrors];
  for (const e of errors) result.codes[e.code] = (result.codes[e.code] || 0) + 1;
  if (done.checkoutComplete.order) result.placed += 1;
}

const started = performance.now();
const cpuStart = process.cpuUsage();
let next = 0;
async function worker() {
  while (next < spec.buyers.length) {
    const n = next++;
    try {
      await buy(spec.buyers[n], n);
    } catch (error) {
      result.failures += 1;
      if (result.failures <= 3) console.error(String(error).slice(0, 500));
    }
  }
}
await Promise.all(Array.from({ length: spec.concurrency }, worker));
const cpu = process.cpuUsage(cpuStart);
result.wall_ms = performance.now() - started;
result.cpu_ms = (cpu.user + cpu.system) / 1000;
process.stdout.write(JSON.stringify(result) + "\n");
