//! The complex types evidence members are made of: file details, accounts, VM metadata, senders, and the
//! open types Graph uses for free-form values.

use super::object::wire_object;
use super::{FileHashAlgorithm, VmCloudProvider};

wire_object! {
    /// A file on disk (`fileDetails`).
    pub struct FileDetails {
        /// The file name.
        file_name: String,
        /// The folder holding the file.
        file_path: String,
        /// The publisher.
        file_publisher: String,
        /// The size in bytes.
        file_size: i64,
        /// The certificate authority that issued the signing certificate.
        issuer: String,
        /// The MD5 hash.
        md5: String,
        /// The SHA-1 hash.
        sha1: String,
        /// The SHA-256 hash.
        sha256: String,
        /// The SHA-256 Authenticode hash (spelled `sha265Ac` on the resource page).
        sha265_ac: String,
        /// The signer of a signed file.
        signer: String,
    }
}

wire_object! {
    /// A hash of a file (`fileHash`).
    pub struct FileHash {
        /// The algorithm.
        algorithm: FileHashAlgorithm,
        /// The hash value.
        value: String,
    }
}

wire_object! {
    /// A user account (`userAccount`).
    pub struct UserAccount {
        /// The account name.
        account_name: String,
        /// The Entra object identifier.
        azure_ad_user_id: String,
        /// The display name.
        display_name: String,
        /// The domain.
        domain_name: String,
        /// The user principal name.
        user_principal_name: String,
        /// The on-premises security identifier.
        user_sid: String,
    }
}

wire_object! {
    /// A user signed in to a device (`loggedOnUser`).
    pub struct LoggedOnUser {
        /// The account name.
        account_name: String,
        /// The domain.
        domain_name: String,
    }
}

wire_object! {
    /// Where a virtual machine runs (`vmMetadata`).
    pub struct VmMetadata {
        /// The cloud hosting it.
        cloud_provider: VmCloudProvider,
        /// The cloud resource identifier.
        resource_id: String,
        /// The subscription.
        subscription_id: String,
        /// The VM's identifier.
        vm_id: String,
    }
}

wire_object! {
    /// The sender of an email (`emailSender`).
    pub struct EmailSender {
        /// The display name.
        display_name: String,
        /// The sender's domain.
        domain_name: String,
        /// The email address.
        email_address: String,
    }
}

wire_object! {
    /// A column value of any shape in an advanced hunting row (`dynamicColumnValue`, an open type with no
    /// declared members: everything lives in `extra`).
    pub struct DynamicColumnValue {}
}

wire_object! {
    /// String keys mapped to values, such as Kubernetes labels (`dictionary`, an open type: everything lives
    /// in `extra`).
    pub struct Dictionary {}
}
