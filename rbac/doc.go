// Package rbac decides what each principal may do: permission keys, roles
// that grant them, and the assignments of roles to principals.
//
// # Permission keys
//
// A key is colon-separated segments of a-z, 0-9, '_', '.' and '-', such as
// "integration:slack:send_message" or [RBACManage]. A pattern is a key
// whose last segment is "*", matching any rest of at least one segment
// ("integration:slack:*"), or "*" alone, matching every key; see [Match]
// and [ValidKey]. Deploying an integration makes a key per action
// ([ActionKey]) and one to manage it ([ManageKey]); [Available] lists the
// keys that can be granted now.
//
// # Roles and assignments
//
// A [Role] grants permission patterns and inherits other roles, whose
// patterns it then holds too, transitively. Two roles are built in and
// cannot be changed: [AdminRole] grants "*" and [MemberRole] nothing. A
// principal holds the union of the roles assigned to it and, when it
// authenticated with an external token, of the roles the token claims
// ([WithClaimedRoles]). The operator holds everything; anyone else holds
// nothing that no role grants.
//
// # The model
//
// An [Authorizer] loads every role and assignment from its [Store] into an
// immutable model behind an atomic pointer, so that a check reads no store.
// The model keeps each role's own patterns once, with the list of roles it
// reaches through inheritance, so that its size grows with what is stored
// rather than with the depth of inheritance; a check walks the roles a
// principal reaches, merged on its first check and kept in the model. A
// check takes no lock, and allocates nothing when it passes. At most
// [MaxRoles] roles can be created. Management methods validate, write
// through the store, then reload the model, so the process that made a
// change sees it at once; other processes see it when they call
// [Authorizer.Refresh], which the process does when the store's change
// feed moves.
//
// A change that would close a cycle of inheritance is refused, naming the
// cycle. Two processes changing roles at once could still close one
// between them; a check then expands each role of the cycle once, and a
// change to the inheritance of a role on it is refused until it breaks the
// cycle.
package rbac
