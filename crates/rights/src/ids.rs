//! The ids of this crate: a request, and a requester who is not the customer.

custodia_model::typed_id!(
    /// One customer's request (PIPL Art 50: every request is received and handled as a case of its own).
    RequestId,
    "request_id"
);

custodia_model::typed_id!(
    /// A person who asks on someone else's behalf (a guardian, an authorised agent, a close relative of a
    /// deceased customer, PIPL Art 49), by the pseudonymous id the brokerage gives their contact record:
    /// never a name or a document number.
    RequesterId,
    "requester_id"
);
