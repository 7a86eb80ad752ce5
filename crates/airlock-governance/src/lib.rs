//! scratch
#[cfg(test)]
mod t {
    #[test]
    fn dump() {
        let e = airlock_policy::PolicyEngine::default_pack().unwrap();
        for p in e.policy_set().policies() {
            println!("{}", serde_json::to_string(&p.to_json().unwrap()).unwrap());
        }
        let s: cedar_policy::PolicySet = r#"@id("x") permit(principal in Airlock::Role::"a", action in [Airlock::Action::"shell.exec"], resource == Airlock::Target::"n") when { principal.operator like "a*" && ["x","y"].contains(context.effect.kind) && principal is Airlock::Agent && !(1 < context.effect.risk) && (if true then resource has kind else false) && principal in [Airlock::Role::"b"] && ip("1.2.3.4").isIpv4() } unless { context.effect.risk + 1 == 2 };"#.parse().unwrap();
        for p in s.policies() { println!("{}", serde_json::to_string(&p.to_json().unwrap()).unwrap()); }
    }
}
