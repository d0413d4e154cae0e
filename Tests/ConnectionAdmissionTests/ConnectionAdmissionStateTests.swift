import ConnectionAdmission
import Testing

@Suite struct ConnectionAdmissionStateTests {
    let limits = ConnectionAdmissionLimits(maximumUnauthenticated: 10, reserveForNewSources: 3, maximumUnauthenticatedPerSource: 5, maximumPerIdentity: 2)

    @Test func oneSourceGetsItsShareAndNoMore() {
        var state = ConnectionAdmissionState(limits: self.limits)
        for _ in 0..<5 { #expect(state.open(source: "127.0.0.2") == .admit) }
        #expect(state.open(source: "127.0.0.2") == .refuse(.sourceLimit))
        #expect(state.unauthenticatedBySource["127.0.0.2"] == 5)
        // A refusal takes nothing; a release gives one slot back.
        state.release(source: "127.0.0.2")
        #expect(state.open(source: "127.0.0.2") == .admit)
        #expect(state.unauthenticated == 5)
    }

    @Test func theReserveIsKeptForAddressesWithNothingWaiting() {
        var state = ConnectionAdmissionState(limits: self.limits)
        // Two attackers take the 7 slots outside the reserve.
        for _ in 0..<4 { #expect(state.open(source: "10.0.0.1") == .admit) }
        for _ in 0..<3 { #expect(state.open(source: "10.0.0.2") == .admit) }
        // Within the reserve, an address that already waits is refused, a new one admitted.
        #expect(state.open(source: "10.0.0.1") == .refuse(.reserveHeld))
        #expect(state.open(source: "10.0.0.2") == .refuse(.reserveHeld))
        #expect(state.open(source: "127.0.0.1") == .admit)
        #expect(state.open(source: "127.0.0.3") == .admit)
        #expect(state.open(source: "127.0.0.4") == .admit)
        // Full: nobody else, not even a new address.
        #expect(state.open(source: "127.0.0.5") == .refuse(.unauthenticatedLimit))
        #expect(state.unauthenticated == 10)
    }

    @Test func authenticationMovesTheSlotToTheIdentity() {
        var state = ConnectionAdmissionState(limits: self.limits)
        #expect(state.open(source: "a") == .admit)
        #expect(state.open(source: "a") == .admit)
        #expect(state.open(source: "a") == .admit)
        #expect(state.authenticate(source: "a", identity: "laptop") == .admit)
        #expect(state.authenticate(source: "a", identity: "laptop") == .admit)
        // The identity's share is taken: refused, and holding nothing either way.
        #expect(state.authenticate(source: "a", identity: "laptop") == .refuse(.identityLimit))
        #expect(state.unauthenticated == 0 && state.unauthenticatedBySource.isEmpty)
        #expect(state.authenticatedByIdentity == ["laptop": 2])
        // Another identity is not affected; a close frees one of the identity's slots.
        #expect(state.open(source: "a") == .admit)
        #expect(state.authenticate(source: "a", identity: "phone") == .admit)
        state.release(identity: "laptop")
        #expect(state.open(source: "a") == .admit)
        #expect(state.authenticate(source: "a", identity: "laptop") == .admit)
    }

    @Test func releasesOfNothingChangeNothing() {
        var state = ConnectionAdmissionState(limits: self.limits)
        let empty = state
        state.release(source: "nobody")
        state.release(identity: "nobody")
        #expect(state == empty)
        #expect(state.open(source: "x") == .admit)
        state.release(source: "x")
        #expect(state == empty)
    }

    @Test func limitsAreKeptSane() {
        let odd = ConnectionAdmissionLimits(maximumUnauthenticated: 0, reserveForNewSources: 50, maximumUnauthenticatedPerSource: -1, maximumPerIdentity: 0)
        #expect(odd.maximumUnauthenticated == 1 && odd.reserveForNewSources == 0 && odd.maximumUnauthenticatedPerSource == 1 && odd.maximumPerIdentity == 1)
    }
}
