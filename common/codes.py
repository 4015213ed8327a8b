"""Stable reason codes: clients switch on these, so never rename one."""

from enum import StrEnum


class Reason(StrEnum):
    # card and program state
    CARD_NOT_FOUND = "CARD_NOT_FOUND"
    CARD_INACTIVE = "CARD_INACTIVE"
    CARD_ALREADY_ACTIVE = "CARD_ALREADY_ACTIVE"
    CARD_ALREADY_EXISTS = "CARD_ALREADY_EXISTS"
    CUSTOMER_ALREADY_ENROLLED = "CUSTOMER_ALREADY_ENROLLED"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    PROGRAM_NOT_FOUND = "PROGRAM_NOT_FOUND"
    PROGRAM_INACTIVE = "PROGRAM_INACTIVE"
    PROGRAM_ALREADY_EXISTS = "PROGRAM_ALREADY_EXISTS"
    STAMPS_NOT_ENABLED = "STAMPS_NOT_ENABLED"
    POINTS_NOT_ENABLED = "POINTS_NOT_ENABLED"
    # stamps
    COOLDOWN_ACTIVE = "COOLDOWN_ACTIVE"
    DAILY_STAMP_LIMIT = "DAILY_STAMP_LIMIT"
    INSUFFICIENT_STAMPS = "INSUFFICIENT_STAMPS"
    # points
    NO_POINTS_FOR_AMOUNT = "NO_POINTS_FOR_AMOUNT"
    DUPLICATE_ORDER_REFERENCE = "DUPLICATE_ORDER_REFERENCE"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    REWARD_NOT_FOUND = "REWARD_NOT_FOUND"
    REWARD_INACTIVE = "REWARD_INACTIVE"
    ADJUSTMENT_OUT_OF_BOUNDS = "ADJUSTMENT_OUT_OF_BOUNDS"
    BALANCE_LIMIT = "BALANCE_LIMIT"
    # voids
    VOID_EXCEEDS_EARNED = "VOID_EXCEEDS_EARNED"
    ORIGINAL_TRANSACTION_NOT_FOUND = "ORIGINAL_TRANSACTION_NOT_FOUND"
    ORIGINAL_TRANSACTION_NOT_VOIDABLE = "ORIGINAL_TRANSACTION_NOT_VOIDABLE"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    # staff PINs
    STAFF_PIN_REQUIRED = "STAFF_PIN_REQUIRED"
    STAFF_PIN_INVALID = "STAFF_PIN_INVALID"
    STAFF_PIN_LOCKED = "STAFF_PIN_LOCKED"
    STAFF_PIN_NOT_FOUND = "STAFF_PIN_NOT_FOUND"
    STAFF_PIN_DUPLICATE = "STAFF_PIN_DUPLICATE"
    # sync
    OFFLINE_OVERSPEND = "OFFLINE_OVERSPEND"
    OFFLINE_LIMIT_EXCEEDED = "OFFLINE_LIMIT_EXCEEDED"
    OP_ID_REUSED = "OP_ID_REUSED"
    INVALID_OPERATION = "INVALID_OPERATION"
    OPERATION_NOT_ALLOWED = "OPERATION_NOT_ALLOWED"
    SEQ_REUSED = "SEQ_REUSED"
    CARD_NUMBER_NOT_YOURS = "CARD_NUMBER_NOT_YOURS"
    ATTENTION_ITEM_NOT_FOUND = "ATTENTION_ITEM_NOT_FOUND"
    ATTENTION_ALREADY_RESOLVED = "ATTENTION_ALREADY_RESOLVED"
    REAPPLY_EXCEEDS_REFUSED = "REAPPLY_EXCEEDS_REFUSED"
    # card numbers and QR payloads
    INVALID_CARD_NUMBER = "INVALID_CARD_NUMBER"
    INVALID_QR_PAYLOAD = "INVALID_QR_PAYLOAD"
    QR_SIGNATURE_MISMATCH = "QR_SIGNATURE_MISMATCH"


MESSAGES: dict[Reason, str] = {
    Reason.CARD_NOT_FOUND: "No loyalty card matches.",
    Reason.CARD_INACTIVE: "This card is deactivated.",
    Reason.CARD_ALREADY_ACTIVE: "This card is already active.",
    Reason.CARD_ALREADY_EXISTS: "A card with this number already exists.",
    Reason.CUSTOMER_ALREADY_ENROLLED: "This customer already has a card.",
    Reason.CUSTOMER_NOT_FOUND: "No customer matches.",
    Reason.PROGRAM_NOT_FOUND: "This merchant has no loyalty program.",
    Reason.PROGRAM_INACTIVE: "The loyalty program is paused.",
    Reason.PROGRAM_ALREADY_EXISTS: "This merchant already has a loyalty program.",
    Reason.STAMPS_NOT_ENABLED: "This program does not use stamps.",
    Reason.POINTS_NOT_ENABLED: "This program does not use points.",
    Reason.COOLDOWN_ACTIVE: "Too soon after the last stamp.",
    Reason.DAILY_STAMP_LIMIT: "The daily stamp limit for this card is reached.",
    Reason.INSUFFICIENT_STAMPS: "Not enough stamps.",
    Reason.NO_POINTS_FOR_AMOUNT: "This amount earns no points.",
    Reason.DUPLICATE_ORDER_REFERENCE: "Points were already earned for this order.",
    Reason.INSUFFICIENT_POINTS: "Not enough points.",
    Reason.REWARD_NOT_FOUND: "No such reward.",
    Reason.REWARD_INACTIVE: "This reward is not available.",
    Reason.ADJUSTMENT_OUT_OF_BOUNDS: "Adjustments are limited to ±100000 points.",
    Reason.BALANCE_LIMIT: "This would take the card beyond the largest balance it can hold.",
    Reason.VOID_EXCEEDS_EARNED: "Cannot void more than was earned.",
    Reason.ORIGINAL_TRANSACTION_NOT_FOUND: "The original transaction was not found on this card.",
    Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE: "That transaction cannot be voided.",
    Reason.ALREADY_VOIDED: "That transaction is already fully voided.",
    Reason.STAFF_PIN_REQUIRED: "A staff PIN is required.",
    Reason.STAFF_PIN_INVALID: "Wrong staff PIN.",
    Reason.STAFF_PIN_LOCKED: "This staff PIN is locked after too many wrong entries.",
    Reason.STAFF_PIN_NOT_FOUND: "No such staff PIN.",
    Reason.STAFF_PIN_DUPLICATE: "Another staff member of this store uses this PIN.",
    Reason.OFFLINE_OVERSPEND: "Redeemed offline beyond the balance the server holds.",
    Reason.OFFLINE_LIMIT_EXCEEDED: "Redeemed offline beyond the merchant's offline limits.",
    Reason.INVALID_OPERATION: "This operation is malformed and cannot be applied.",
    Reason.OPERATION_NOT_ALLOWED: "Only the merchant owner may do this.",
    Reason.OP_ID_REUSED: "This operation id was already used for a different operation.",
    Reason.SEQ_REUSED: "This sequence number was already used by another operation.",
    Reason.CARD_NUMBER_NOT_YOURS: "This terminal may not issue card numbers of another node.",
    Reason.ATTENTION_ITEM_NOT_FOUND: "This till raised no such operation to acknowledge.",
    Reason.ATTENTION_ALREADY_RESOLVED: "This item was already resolved by another resolution.",
    Reason.REAPPLY_EXCEEDS_REFUSED: (
        "A till may re-apply at most what the refused operation asked; the owner may more."
    ),
    Reason.INVALID_CARD_NUMBER: "This is not a valid card number.",
    Reason.INVALID_QR_PAYLOAD: "This QR code is not a loyalty card.",
    Reason.QR_SIGNATURE_MISMATCH: "This QR code was not issued by this merchant.",
}
