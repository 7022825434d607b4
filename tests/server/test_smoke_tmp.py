def test_health(live):
    with live.client() as c:
        r = c.get("/api/v1/health")
        assert r.json() == {"status": "ok", "version": "0.1.0"}
