"""The metrics oracle's off-chain side: report encoding and EIP-712 signing, the durable
outbox, batched submission, the signer/transmitter network and the feeder daemon."""
