import PuenteDomain
import Testing

@Suite struct OrderLifecycleTests {
    @Test func allowsTheContractsTransitions() throws {
        let allowed: [(OrderStatus, OrderStatus)] = [
            (.held, .pending), (.held, .cancelled), (.pending, .inPreparation), (.pending, .cancelled),
            (.inPreparation, .dispatched), (.inPreparation, .cancelled), (.dispatched, .invoiced),
        ]
        for from in OrderStatus.allCases {
            for to in OrderStatus.allCases {
                let expected = allowed.contains { $0 == (from, to) }
                let accepted = (try? from.transition(to: to)) != nil
                #expect(accepted == expected, "\(from) → \(to)")
            }
        }
    }

    @Test func refusalSaysWhatIsAllowed() {
        #expect(throws: StatusTransitionError.self) { try OrderStatus.dispatched.transition(to: .cancelled) }
        let error = StatusTransitionError(from: .dispatched, to: .cancelled)
        #expect(error.description == "cannot change an order from dispatched to cancelled: from dispatched only invoiced is allowed")
        #expect(StatusTransitionError(from: .invoiced, to: .pending).description.contains("invoiced is final"))
    }

    @Test func orderNumbersRoundTrip() {
        #expect(OrderNumber(pos: 9900, sequence: 1).description == "9900-00000001")
        #expect(OrderNumber("9900-00000042") == OrderNumber(pos: 9900, sequence: 42))
        #expect(OrderNumber("0001-00000001")?.pos == 1)
        for text in ["9900-1", "99000-00000001", "9900_00000001", "", "abcd-efghijkl"] {
            #expect(OrderNumber(text) == nil, "\(text)")
        }
    }
}
