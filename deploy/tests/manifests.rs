//! Manifests round-trip through YAML into `k8s-openapi` types and carry the planned
//! resources; illegal scheduler sizes are refused naming the legal ones; Ray options.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use ncg_planner::fleet::{ExistingNode, FleetPlan, FleetRequest, InstanceType};
use ncg_planner::{CoreRange, ModelSpec, Strictness, Topology};
use neuron_rt_deploy::k8s::{self, K8sOptions, NEURONCORE, NEURONDEVICE, NeuronResource};
use neuron_rt_deploy::models_file::ModelsFile;
use neuron_rt_deploy::{DeployError, ray};

fn plan() -> FleetPlan {
    FleetRequest::new()
        .instance_type(
            InstanceType::preset("inf2.xlarge")
                .unwrap()
                .price_per_hour(0.76),
        )
        .instance_type(
            InstanceType::preset("inf2.48xlarge")
                .unwrap()
                .price_per_hour(12.98),
        )
        .instance_type(
            InstanceType::preset("trn1.32xlarge")
                .unwrap()
                .price_per_hour(21.5),
        )
        .model(ModelSpec::new("llama", 8, 3))
        .model(ModelSpec::new("bert", 2, 3))
        .model(ModelSpec::new("big", 16, 1))
        .solve()
        .unwrap()
}

fn docs(yaml: &str) -> Vec<&str> {
    yaml.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect()
}

fn limit(d: &Deployment, resource: &str) -> Option<String> {
    let c = &d.spec.as_ref()?.template.spec.as_ref()?.containers[0];
    c.resources
        .as_ref()?
        .limits
        .as_ref()?
        .get(resource)
        .map(|q| q.0.clone())
}

#[test]
fn deployments_round_trip_with_planned_resources() {
    let plan = plan();
    let mut opts = K8sOptions::new("registry.example/worker:1");
    opts.namespace = Some("ml".into());
    let objs = k8s::deployments(&plan, &opts).unwrap();
    let yaml = k8s::to_yaml(&objs).unwrap();
    let parsed: Vec<Deployment> = docs(&yaml)
        .into_iter()
        .map(|d| serde_saphyr::from_str::<Deployment>(d).unwrap())
        .collect();
    assert_eq!(parsed, objs, "YAML round trip changed the objects");
    // Replicas per model across Deployments equal the plan; each requests its group size
    // on the instance type it was planned for.
    let mut per_model: BTreeMap<String, i32> = BTreeMap::new();
    for d in &parsed {
        let spec = d.spec.as_ref().unwrap();
        let pod = spec.template.spec.as_ref().unwrap();
        let itype = &pod.node_selector.as_ref().unwrap()[k8s::INSTANCE_TYPE_LABEL];
        let labels = d.metadata.labels.as_ref().unwrap();
        let model = &labels[k8s::MODEL_LABEL];
        *per_model.entry(model.clone()).or_insert(0) += spec.replicas.unwrap();
        let workers: Vec<_> = plan
            .workers()
            .iter()
            .filter(|w| {
                w.assignment.model == *model && plan.instances()[w.instance].instance_type == *itype
            })
            .collect();
        assert_eq!(spec.replicas, Some(workers.len() as i32));
        let size = workers[0].assignment.cores.count();
        assert_eq!(limit(d, NEURONCORE), Some(size.to_string()));
        assert_eq!(pod.scheduler_name.as_deref(), Some("my-scheduler"));
        assert_eq!(d.metadata.namespace.as_deref(), Some("ml"));
        let c = &pod.containers[0];
        assert_eq!(
            c.readiness_probe
                .as_ref()
                .unwrap()
                .http_get
                .as_ref()
                .unwrap()
                .path
                .as_deref(),
            Some(k8s::READY_PATH)
        );
        let env: Vec<&str> = c
            .env
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert!(env.contains(&"NEURON_RT_WORKER_MODEL"), "{env:?}");
        assert!(
            !env.contains(&"NEURON_RT_VISIBLE_CORES"),
            "the extension injects it"
        );
    }
    assert_eq!(per_model["llama"], 3);
    assert_eq!(per_model["bert"], 3);
    assert_eq!(per_model["big"], 1);
}

#[test]
fn whole_device_requests() {
    let plan = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.48xlarge").unwrap())
        .model(ModelSpec::new("llama", 8, 2))
        .solve()
        .unwrap();
    let mut opts = K8sOptions::new("img");
    opts.resource = NeuronResource::Devices;
    let d = &k8s::deployments(&plan, &opts).unwrap()[0];
    assert_eq!(limit(d, NEURONDEVICE), Some("4".into()));
    assert_eq!(limit(d, NEURONCORE), None);
    // A partial chip cannot be asked as devices.
    let plan = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.48xlarge").unwrap())
        .model(ModelSpec::new("tiny", 1, 1))
        .solve()
        .unwrap();
    let err = k8s::deployments(&plan, &opts).unwrap_err();
    assert!(matches!(err, DeployError::NotWholeDevices { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("request aws.amazon.com/neuroncore"),
        "{err}"
    );
}

#[test]
fn illegal_scheduler_sizes_name_the_legal_ones() {
    // Under Prefer, 6 cores on trn1.32xlarge (3 chips) is an irregular group: the
    // scheduler extension only allocates 1, 4, 8 or 16 devices there.
    let plan = FleetRequest::new()
        .strictness(Strictness::Prefer)
        .instance_type(InstanceType::preset("trn1.32xlarge").unwrap())
        .model(ModelSpec::new("odd", 6, 1))
        .solve()
        .unwrap();
    let err = k8s::deployments(&plan, &K8sOptions::new("img")).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, DeployError::IllegalSchedulerSize { size: 6, .. }),
        "{msg}"
    );
    assert!(msg.contains("legal sizes: 1, 2, 8, 16, 32"), "{msg}");
    assert!(msg.contains("trn1.32xlarge"), "{msg}");
}

#[test]
fn static_pods_pin_exact_cores_and_devices() {
    let topo = Topology::preset("inf2.24xlarge").unwrap();
    let plan = FleetRequest::new()
        .existing_node(ExistingNode::new("node-a", topo).busy(CoreRange::new(0, 2).unwrap()))
        .instance_type(InstanceType::preset("inf2.xlarge").unwrap())
        .model(ModelSpec::new("bert", 2, 6))
        .solve()
        .unwrap();
    let objs = k8s::static_pods(&plan, &K8sOptions::new("img")).unwrap();
    assert_eq!(objs.len(), 6);
    let yaml = k8s::to_yaml(&objs).unwrap();
    let parsed: Vec<Pod> = docs(&yaml)
        .into_iter()
        .map(|d| serde_saphyr::from_str::<Pod>(d).unwrap())
        .collect();
    assert_eq!(parsed, objs);
    let mut seen = std::collections::HashSet::new();
    for (p, w) in parsed.iter().zip(plan.workers()) {
        let spec = p.spec.as_ref().unwrap();
        let inst = &plan.instances()[w.instance];
        assert_eq!(spec.node_name.as_deref(), Some(inst.name.as_str()));
        let env = spec.containers[0].env.as_ref().unwrap();
        let vis = env
            .iter()
            .find(|e| e.name == "NEURON_RT_VISIBLE_CORES")
            .and_then(|e| e.value.clone())
            .unwrap();
        assert_eq!(vis, w.assignment.visible_cores_env());
        assert!(
            seen.insert((inst.name.clone(), vis)),
            "a core range used twice"
        );
        let vols: Vec<String> = spec
            .volumes
            .as_ref()
            .unwrap()
            .iter()
            .map(|v| v.host_path.as_ref().unwrap().path.clone())
            .collect();
        assert_eq!(vols, w.assignment.device_paths());
    }
    assert_eq!(
        parsed[0].spec.as_ref().unwrap().node_name.as_deref(),
        Some("node-a")
    );
}

#[test]
fn options_are_checked() {
    let err = k8s::deployments(&plan(), &K8sOptions::new(" ")).unwrap_err();
    assert!(err.to_string().contains("invalid option image"), "{err}");
    assert!(k8s::dns_label("!!!").is_err());
    assert_eq!(k8s::dns_label("My_Model.v2").unwrap(), "my-model-v2");
}

#[test]
fn ray_options_carry_neuron_cores() {
    let plan = plan();
    let r = ray::options(&plan, &BTreeMap::new());
    let json = ray::to_json(&r).unwrap();
    let back: ray::RayOptions = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["models"][0]["name"], "llama");
    assert_eq!(v["models"][0]["num_replicas"], 3);
    assert_eq!(
        v["models"][0]["ray_actor_options"]["resources"]["neuron_cores"],
        8
    );
    assert_eq!(
        v["models"][1]["ray_actor_options"]["resources"]["neuron_cores"],
        2
    );
}

#[test]
fn models_file_toml_and_json_agree() {
    let toml_text = r#"
        [[model]]
        name = "bert"
        cores = 2
        replicas = 3
        memory_gib = 4.0
        [[instance]]
        type = "inf2.24xlarge"
        price = 6.49
        [[node]]
        name = "n1"
        type = "inf2.xlarge"
        busy = "0"
    "#;
    let a = ModelsFile::from_toml(toml_text).unwrap();
    let b = ModelsFile::from_json(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(a, b);
    let plan = a.request().unwrap().solve().unwrap();
    assert_eq!(plan.workers().len(), 3);
    let err = ModelsFile::from_toml("[[model]]\nname = \"x\"\ncores = 1\n").unwrap_err();
    assert!(err.to_string().contains("replicas"), "{err}");
    let err = ModelsFile::from_toml("[[model]]\nnme = 1\n").unwrap_err();
    assert!(err.to_string().contains("nme"), "{err}");
}
