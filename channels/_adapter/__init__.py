"""What every channel adapter shares: publishing inbound messages before answering the
platform, and delivering outbound ones in order per chat with retries, rate limits, delivery
reports and a record of what was delivered. A channel brings two functions: platform update
-> `InboundMessage`, and `OutboundMessage` -> platform call returning an `Outcome`."""
