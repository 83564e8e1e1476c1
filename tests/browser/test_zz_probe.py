import time, pytest
pytestmark = pytest.mark.browser
def test_probe(live_server, make_live_round, new_context, browser):
    r = make_live_round()
    for i in range(4):
        t=time.perf_counter(); c = new_context(); p = c.new_page(); print("\nctx", time.perf_counter()-t)
        t=time.perf_counter(); p.goto(live_server(f"/healthz")); print("healthz", time.perf_counter()-t)
        t=time.perf_counter(); p.goto(live_server(f"/s/{r.slug}?lang=en")); print("goto", time.perf_counter()-t)
        t=time.perf_counter(); p.goto(live_server(f"/s/{r.slug}?lang=en")); print("goto2", time.perf_counter()-t)
