//! DSSE (Dead Simple Signing Envelope) v1: the JSON envelope that carries a
//! signed payload, and the pre-authentication encoding (PAE) that is what is
//! actually signed, binding the payload type to the payload.

use airlock_keys::SigningKeyPair;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use serde::{Deserialize, Serialize};

/// The DSSE payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A DSSE JSON envelope. Unknown members are ignored, as DSSE requires; they
/// are not signed and carry no meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the serialized payload.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Unauthenticated hint naming the signing key (an airlock key id). Used
    /// only to pick which trusted key to try first.
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the 64-byte Ed25519 signature over the PAE.
    pub sig: String,
}

/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut encoded = Vec::with_capacity(header.len() + payload.len());
    encoded.extend_from_slice(header.as_bytes());
    encoded.extend_from_slice(payload);
    encoded
}

impl Envelope {
    /// An envelope holding `payload`, signed by `key` over the PAE.
    pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKeyPair) -> Envelope {
        let mut envelope = Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: Vec::new(),
        };
        envelope.add_signature_over(payload, key);
        envelope
    }

    /// Adds a signature by `key` over the decoded payload. Returns `None`
    /// (and changes nothing) when the payload is not valid base64.
    pub fn add_signature(&mut self, key: &SigningKeyPair) -> Option<()> {
        let payload = self.decode_payload()?;
        self.add_signature_over(&payload, key);
        Some(())
    }

    fn add_signature_over(&mut self, payload: &[u8], key: &SigningKeyPair) {
        let signature = key.sign(&pae(&self.payload_type, payload));
        self.signatures.push(EnvelopeSignature {
            keyid: key.key_id().to_string(),
            sig: signature.to_base64(),
        });
    }

    /// The payload bytes; base64 in the standard or URL-safe alphabet, padded
    /// or not, is accepted, as DSSE allows either.
    pub fn decode_payload(&self) -> Option<Vec<u8>> {
        decode_base64_any(&self.payload)
    }

    /// The envelope as compact JSON.
    pub fn to_json(&self) -> String {
        let signatures: Vec<serde_json::Value> = self
            .signatures
            .iter()
            .map(|signature| serde_json::json!({ "keyid": signature.keyid, "sig": signature.sig }))
            .collect();
        serde_json::json!({
            "payload": self.payload,
            "payloadType": self.payload_type,
            "signatures": signatures,
        })
        .to_string()
    }
}

fn decode_base64_any(text: &str) -> Option<Vec<u8>> {
    STANDARD_ANY_PADDING
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol document's test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn envelope_json_round_trips_and_ignores_unknown_members() {
        let key = SigningKeyPair::from_seed(&[3u8; 32]);
        let envelope = Envelope::sign("application/x-test", b"body", &key);
        let json = envelope.to_json();
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(back.decode_payload().unwrap(), b"body");

        let with_extra = json.replacen('{', r#"{"extra":1,"#, 1);
        assert_eq!(
            serde_json::from_str::<Envelope>(&with_extra).unwrap(),
            envelope
        );

        let no_keyid = r#"{"payload":"","payloadType":"t","signatures":[{"sig":""}]}"#;
        let parsed: Envelope = serde_json::from_str(no_keyid).unwrap();
        assert_eq!(parsed.signatures[0].keyid, "");
    }

    #[test]
    fn payload_decodes_from_url_safe_base64_too() {
        let envelope = Envelope {
            payload: URL_SAFE_NO_PAD.encode([0xfb, 0xff, 0x01]),
            payload_type: String::new(),
            signatures: Vec::new(),
        };
        assert_eq!(envelope.decode_payload().unwrap(), vec![0xfb, 0xff, 0x01]);
    }
}
