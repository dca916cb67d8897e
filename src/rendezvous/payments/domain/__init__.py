"""The payment rules, one module per concern; callers import the module they need
(payments.domain.money, ...), as the layers above import bookings.domain."""
