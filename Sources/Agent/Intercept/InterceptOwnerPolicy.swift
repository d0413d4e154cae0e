import Glibc

/// Which local users may use the intercept (config `intercept.allowUsers` / `allowGroups`):
/// a connection is admitted when the UID that opened it is listed, or when that user's primary
/// group or any supplementary group (getgrouplist) is. Names are resolved when the
/// configuration is loaded; group membership when a connection arrives.
public struct InterceptOwnerPolicy: Sendable, Hashable {
    /// Admitted user IDs.
    public let users: Set<UInt32>
    /// Admitted group IDs.
    public let groups: Set<UInt32>

    public init(users: Set<UInt32>, groups: Set<UInt32>) {
        self.users = users
        self.groups = groups
    }

    /// The policy for `settings`, or nil when neither list is set (everyone admitted).
    /// - Throws: ``AgentError/configuration(_:)`` naming a user or group this host does not know.
    public init?(_ settings: InterceptSettings) throws {
        guard settings.allowUsers != nil || settings.allowGroups != nil else { return nil }
        var users: Set<UInt32> = []
        for user in settings.allowUsers ?? [] {
            guard let uid = Self.userID(user) else { throw AgentError.configuration("intercept.allowUsers: no user '\(user)' on this host") }
            users.insert(uid)
        }
        var groups: Set<UInt32> = []
        for group in settings.allowGroups ?? [] {
            guard let gid = Self.groupID(group) else { throw AgentError.configuration("intercept.allowGroups: no group '\(group)' on this host") }
            groups.insert(gid)
        }
        self.init(users: users, groups: groups)
    }

    /// Whether `uid` may use the intercept (reads the user and group databases: call off the event loop).
    public func admits(uid: UInt32) -> Bool {
        if self.users.contains(uid) { return true }
        guard !self.groups.isEmpty else { return false }
        return !self.groups.isDisjoint(with: Self.groupIDs(of: uid))
    }

    /// A number, or a user name from the user database.
    static func userID(_ text: String) -> UInt32? {
        if let number = UInt32(text) { return number }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(text, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    /// A number, or a group name from the group database.
    static func groupID(_ text: String) -> UInt32? {
        if let number = UInt32(text) { return number }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 65_536)
        guard getgrnam_r(text, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    /// `uid`'s primary and supplementary groups (empty for a UID with no user entry).
    static func groupIDs(of uid: UInt32) -> Set<UInt32> {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return [] }
        let primary = entry.pw_gid
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, primary, &list, &count) >= 0 else { return [primary] }
        }
        return Set(list.prefix(Int(count))).union([primary])
    }
}
